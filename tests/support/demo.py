"""The demo tree shipped in xueji/data, and the units and schools of it the tests name."""

from pathlib import Path

import xueji
from domain.orgtree import OrgTree

DEMO_DATA = Path(xueji.__file__).parent / "data"
DEMO_UNITS_CSV = DEMO_DATA / "demo_units.csv"
DEMO_SCHOOLS_CSV = DEMO_DATA / "demo_schools.csv"

MINISTRY = "000000"  # 中华人民共和国教育部
PROVINCE = "130000"  # 河北省教育厅
CITY = "130100"  # 石家庄市教育局
CHANG_AN = "130102"  # 长安区教育局
QIAO_XI = "130104"  # 石家庄市桥西区教育局
XIN_HUA = "130105"  # 石家庄市新华区教育局
CHANG_AN_SCHOOL = "2130102001"  # 长安区第一中学
QIAO_XI_SCHOOL = "2130104001"  # 石家庄市桥西区第一中学
ZHEJIANG_PROVINCE = "330000"  # 浙江省教育厅
SHANG_CHENG = "330102"  # 上城区教育局
SHANG_CHENG_SCHOOLS = ["2330102001", "2330102002"]  # 上城区第一小学, 上城区实验小学


def demo_tree() -> OrgTree:
    return OrgTree.load(DEMO_UNITS_CSV, DEMO_SCHOOLS_CSV)

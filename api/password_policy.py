"""The password policy (口令策略) as `/api/admin/password-policy` and the console's policy page
read and change it: one national policy, read by every secadmin, changed by the Ministry's."""

from sqlmodel import Session

from api.admin_scope import is_national, require_national
from api.schemas.admin import Policy
from api.security import Staff
from store.accounts import get_policy, update_policy
from store.models import PasswordPolicyBase

# What the console calls each field of the policy (its form and its reasons).
FIELD_NAMES = {
    "min_length": "最短长度",
    "min_kinds": "至少包含的字符种类",
    "history": "不得与最近几次密码相同",
    "expiry_days": "密码有效期（天）",
    "max_failures": "连续失败次数上限",
    "lock_minutes": "锁定时长（分钟）",
    "idle_minutes": "无操作超时（分钟）",
    "session_hours": "登录最长有效期（小时）",
    "totp_for_all": "所有角色使用动态口令",
}


def current_policy(session: Session) -> Policy:
    """The policy in force (the defaults until a secadmin first changes it)."""
    return Policy.model_validate(get_policy(session=session), from_attributes=True)


def may_change_policy(session: Session, secadmin: Staff) -> bool:
    """Whether this secadmin may change the policy: a national setting, the Ministry's only."""
    return is_national(session, secadmin)


def change_policy(session: Session, secadmin: Staff, values: Policy) -> Policy:
    """Put `values` in force for every account at once: 403 unless `may_change_policy`."""
    require_national(session, secadmin)
    update_policy(session=session, values=PasswordPolicyBase(**values.model_dump()))
    session.commit()
    return values

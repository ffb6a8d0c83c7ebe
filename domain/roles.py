"""Who a staff account is (DESIGN §7): case roles, the three separated administrators (三员),
and the roles a school account may hold."""

from enum import StrEnum


class Role(StrEnum):
    CLERK = "clerk"  # 受理员: registers complaints
    HANDLER = "handler"  # 学籍管理员 / 承办人: acts on cases and slips
    LEADER = "leader"  # 领导: also rules disputes, opens campaigns
    SYSADMIN = "sysadmin"  # 系统管理员
    SECADMIN = "secadmin"  # 安全管理员
    AUDITOR = "auditor"  # 审计管理员


ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR})  # must use a second factor
CASE_STAFF = (Role.CLERK, Role.HANDLER, Role.LEADER)  # register, read cases, slips, campaigns
CASE_ACTORS = (Role.HANDLER, Role.LEADER)  # act on cases, report to campaigns, write the FAQ
CALENDAR_ADMINS = (Role.SECADMIN, Role.SYSADMIN)  # load working-day calendar years
STATS_READERS = (Role.LEADER,)  # oversight figures of the unit's subtree (督办统计)
# A school's staff work only the slips addressed to their school (DESIGN §7): the clerk reads
# and prints them, the handler also returns them. No other role belongs to a school.
SCHOOL_ROLES = (Role.CLERK, Role.HANDLER)
SCHOOL_SLIP_ACTORS = (Role.HANDLER,)
ROLE_NAMES = {
    Role.CLERK: "受理员",
    Role.HANDLER: "承办人",
    Role.LEADER: "负责人",
    Role.SYSADMIN: "系统管理员",
    Role.SECADMIN: "安全管理员",
    Role.AUDITOR: "审计管理员",
}

"""Password complexity rules (口令复杂度), pure: the store adds history and expiry."""

import string

KIND_NAMES = ("小写字母", "大写字母", "数字", "符号")


def character_kinds(password: str) -> int:
    """How many of lower case, upper case, digits and symbols the password uses."""
    lower = any(c in string.ascii_lowercase for c in password)
    upper = any(c in string.ascii_uppercase for c in password)
    digit = any(c.isdigit() for c in password)
    symbol = any(not c.isalnum() for c in password)
    return sum((lower, upper, digit, symbol))


def complexity_problems(
    password: str, *, username: str, min_length: int, min_kinds: int
) -> list[str]:
    """Why `password` breaks the complexity rules, in Chinese; empty when it meets them."""
    problems = []
    if len(password) < min_length:
        problems.append(f"密码长度至少 {min_length} 位")
    if character_kinds(password) < min_kinds:
        kinds = "、".join(KIND_NAMES)
        problems.append(f"密码须包含{kinds}中的至少 {min_kinds} 类")
    if username and username.casefold() in password.casefold():
        problems.append("密码不得包含用户名")
    if password != password.strip():
        problems.append("密码首尾不得有空格")
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        problems.append("密码不得包含控制字符")
    return problems

"""统一社会信用代码 (GB 32100-2015): 18 characters, the last a check character computed from
the first 17. Pure functions, no Django."""

import re

# The standard's 31 characters (no I, O, S, V, Z), in the order of their values 0–30.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {char: value for value, char in enumerate(ALPHABET)}
# Weight of position i (from 0) is 3^i mod 31.
WEIGHTS = [pow(3, i, 31) for i in range(17)]
SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def check_character(first17: str) -> str:
    """The 18th character for the 17 characters `first17` (all from ALPHABET)."""
    total = sum(VALUES[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """Why `code` is not a well-formed 统一社会信用代码, or None when it is."""
    if len(code) != 18:
        return f"统一社会信用代码应为 18 位，这里是 {len(code)} 位"
    if not SHAPE.match(code):
        return "统一社会信用代码只能由数字和大写字母组成（不含 I、O、Z、S、V），第 3–8 位为数字"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码校验位错误：按前 17 位计算，第 18 位应为 {expected}"
    return None

"""Text that arrives outside Django's forms (JSON bodies): what the database or the page could
not hold is refused here with a message, before it reaches a query."""

import re

# C0 control characters other than tab, line feed and carriage return: PostgreSQL refuses NUL
# in a text value, and the others are invisible in a page and break Excel sheets.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def unreadable(text: str) -> str | None:
    """Why `text` cannot be stored as it is, in Chinese, or None."""
    if _CONTROL.search(text):
        return "含有不可见的控制字符（如空字符 \\0，常见于从其他系统复制的文字），请删除后重新输入"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate: half of a character that JSON can spell but no text can hold.
        return "含有无法识别的字符（不完整的 Unicode 字符），请删除后重新输入"
    return None

"""关键词: jieba keywords of a 诉求, stored at 受理 and used by the duplicate hint and the hot topics.

``jieba.analyse.extract_tags`` ranks words by TF-IDF against jieba's own corpus; words that say nothing
about the topic in a 12345 request (反映, 问题, 希望, 市民 …) are dropped by the stop list below.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

STOP_WORDS = frozenset(
    [
        "反映",
        "问题",
        "希望",
        "要求",
        "请求",
        "请问",
        "咨询",
        "投诉",
        "举报",
        "建议",
        "求助",
        "市民",
        "群众",
        "来电",
        "来电人",
        "诉求",
        "情况",
        "相关",
        "部门",
        "有关",
        "单位",
        "处理",
        "解决",
        "尽快",
        "一下",
        "一个",
        "这个",
        "那个",
        "什么",
        "怎么",
        "如何",
        "为什么",
        "是否",
        "可以",
        "能否",
        "没有",
        "已经",
        "现在",
        "目前",
        "一直",
        "还是",
        "但是",
        "因为",
        "所以",
        "如果",
        "我们",
        "你们",
        "他们",
        "自己",
        "本人",
        "工作人员",
        "进行",
        "出现",
        "存在",
        "导致",
        "表示",
        "认为",
        "需要",
        "应该",
        "无法",
        "不能",
        "不到",
        "今天",
        "昨天",
        "明天",
        "近期",
        "最近",
        "时间",
        "多次",
        "几天",
        "每天",
        "附近",
        "这里",
        "那里",
        "地方",
        "方面",
        "情况下",
        "谢谢",
        "你好",
        "您好",
        "麻烦",
        "帮忙",
    ]
)

_ASCII_OR_DIGITS = re.compile(r"^[\W\d_a-zA-Z]+$")
_lock = threading.Lock()
_ready = False


def _jieba() -> Any:
    global _ready
    import jieba
    import jieba.analyse

    if not _ready:
        with _lock:
            if not _ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _ready = True
    return jieba.analyse


def extract(text: str, *, limit: int = 8) -> list[str]:
    """Up to ``limit`` topic words of ``text``, most telling first (no stop words, no numbers)."""
    if not text.strip():
        return []
    analyse = _jieba()
    words: list[str] = []
    for word in analyse.extract_tags(text, topK=limit * 3):
        if len(word) < 2 or word in STOP_WORDS or _ASCII_OR_DIGITS.match(word):
            continue
        words.append(word)
        if len(words) >= limit:
            break
    return words


def overlap(first: Iterable[str], second: Iterable[str]) -> list[str]:
    """Words two keyword lists share, in the order of the first."""
    other = set(second)
    return [word for word in first if word in other]


def similar(first: list[str], second: list[str]) -> list[str]:
    """The shared words when two requests look like the same topic, else []: at least two words in
    common and at least half of the shorter list."""
    shared = overlap(first, second)
    shorter = min(len(first), len(second))
    if len(shared) >= 2 and shorter and len(shared) * 2 >= shorter:
        return shared
    return []

"""Code lists of 好差评. Every state carries a comment saying what holds in it.

Stored values are unambiguous words; the numbers of the national reporting format are a mapping applied on
export (``conf.level_code``, ``conf.channel_code``), because two standards number the same scale in opposite
directions (GB/T 39046 A.8: 1 = 非常满意; the 好差评 system: 5 = 非常满意 — STANDARDS §2).
"""

from __future__ import annotations

from django.db import models


class Level(models.TextChoices):
    """评价等级 (five levels; 不满意 and 非常不满意 are 差评)."""

    VERY_SATISFIED = "very_satisfied", "非常满意"  # reporting code 5
    SATISFIED = "satisfied", "满意"  # 4
    BASICALLY_SATISFIED = "basically_satisfied", "基本满意"  # 3
    DISSATISFIED = "dissatisfied", "不满意"  # 2 — 差评
    VERY_DISSATISFIED = "very_dissatisfied", "非常不满意"  # 1 — 差评


# 好差评 reporting convention (STANDARDS §2, [I] in several provinces; the brief fixes it): 5 = 非常满意.
LEVEL_CODES: dict[str, int] = {
    Level.VERY_SATISFIED: 5,
    Level.SATISFIED: 4,
    Level.BASICALLY_SATISFIED: 3,
    Level.DISSATISFIED: 2,
    Level.VERY_DISSATISFIED: 1,
}
BAD_LEVELS = frozenset({Level.DISSATISFIED, Level.VERY_DISSATISFIED})  # satisfaction < 3 (S6)
GOOD_LEVELS = frozenset({Level.VERY_SATISFIED, Level.SATISFIED, Level.BASICALLY_SATISFIED})  # 好评: ≥ 3


class Channel(models.TextChoices):
    """评价渠道 (GB/T 39046 Table 9 lists these seven; the reporting codes are configuration)."""

    PC = "pc", "PC端"
    MOBILE = "mobile", "移动服务端"
    QRCODE = "qrcode", "二维码"
    HALL_TABLET = "hall_tablet", "政务大厅平板电脑"
    HALL_TERMINAL = "hall_terminal", "政务大厅其他终端"
    PHONE = "phone", "电话"
    SMS = "sms", "短信"


# Channels a citizen's own session may claim (the web and the QR code on his notices lead to the same pages).
ONLINE_CHANNELS = frozenset({Channel.PC, Channel.MOBILE, Channel.QRCODE})
# Channels only a registered hall device may claim.
DEVICE_CHANNELS = frozenset({Channel.HALL_TABLET, Channel.HALL_TERMINAL})


class ServiceKind(models.TextChoices):
    """服务名称 of a rateable service event (好差评 ``serviceName``)."""

    ACCEPT = "accept", "受理"  # 受理 or 不予受理 of a case (the 受理阶段 of 一事一评)
    SUPPLEMENT = "supplement", "补正"  # 补正材料一次性告知
    PAYMENT = "payment", "缴费"  # recorded by a payment module through ``service_event_record_payment``
    CLOSE = "close", "办结"  # 出件办结 (签收/办结)
    WINDOW = "window", "窗口服务"  # 一次一评: one visit to a window


class OrderState(models.TextChoices):
    """差评整改单状态."""

    VERIFYING = "verifying", "待核实"  # opened by the bad rating; the responsible department checks it
    APPEALING = "appealing", "申诉复核中"  # the department says 误评/恶意差评; a reviewer decides
    RECTIFYING = "rectifying", "整改中"  # the rating stands; the department rectifies by ``due``
    REVISITING = "revisiting", "待回访"  # rectified; the citizen's satisfaction is to be recorded
    CLOSED = "closed", "已办结"  # revisited; terminal
    VOIDED = "voided", "申诉成立"  # the reviewer voided the rating; terminal
    WITHDRAWN = "withdrawn", "群众已改评"  # the citizen changed to a good rating before 核实; terminal


OPEN_ORDER_STATES = (OrderState.VERIFYING, OrderState.APPEALING, OrderState.RECTIFYING, OrderState.REVISITING)
TERMINAL_ORDER_STATES = (OrderState.CLOSED, OrderState.VOIDED, OrderState.WITHDRAWN)
# States whose deadline runs (a rectification not yet done).
RUNNING_ORDER_STATES = (OrderState.VERIFYING, OrderState.APPEALING, OrderState.RECTIFYING)


class Verdict(models.TextChoices):
    """核实结论."""

    GENUINE = "genuine", "情况属实"  # → 整改
    MISTAKEN = "mistaken", "误评"  # → 申诉复核
    MALICIOUS = "malicious", "恶意差评"  # → 申诉复核


class ReviewDecision(models.TextChoices):
    """申诉复核结论."""

    UPHOLD = "uphold", "维持评价"  # the rating stands → 整改
    VOID = "void", "评价无效"  # the appeal succeeds; the rating no longer counts


class RevisitMethod(models.TextChoices):
    """回访方式."""

    ONLINE = "online", "群众网上确认"  # the rater himself, in his session
    PHONE = "phone", "电话回访"
    SMS = "sms", "短信回访"
    VISIT = "visit", "上门回访"


class OrderAction(models.TextChoices):
    """差评整改过程事件 (one per transition)."""

    OPEN = "open", "生成整改单"
    VERIFY = "verify", "核实"
    REVIEW = "review", "申诉复核"
    RECTIFY = "rectify", "整改"
    REVISIT = "revisit", "回访"
    WITHDRAW = "withdraw", "群众改评"
    ESCALATE = "escalate", "超期督办"

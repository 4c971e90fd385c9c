"""Seed the 诉求 classification tree and the deadline table (local defaults, STANDARDS §5).

Rerunnable: existing rows (possibly edited by an administrator) are kept. Uses ``apps.get_model`` and the
plain data of ``yiwang.hotline.seeds`` (no app models imported).
"""

from django.db import migrations


def seed(apps, schema_editor):
    from yiwang.hotline import seeds

    Category = apps.get_model("hotline", "Category")
    DeadlineRule = apps.get_model("hotline", "DeadlineRule")
    by_code = {c.code: c for c in Category.objects.all()}
    for position, (code, name, parent_code, default_type, words, attributes) in enumerate(seeds.CATEGORIES):
        if code in by_code:
            continue
        by_code[code] = Category.objects.create(
            code=code,
            name=name,
            parent=by_code.get(parent_code) if parent_code else None,
            default_type=default_type,
            keywords=words,
            attributes=attributes,
            position=position,
        )
    for ticket_type, urgency, amount, unit, note in seeds.DEADLINES:
        DeadlineRule.objects.get_or_create(
            ticket_type=ticket_type, urgency=urgency, defaults={"amount": amount, "unit": unit, "note": note}
        )


class Migration(migrations.Migration):
    dependencies = [("hotline", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

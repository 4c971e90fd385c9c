from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    """好差评: rate every service (一事一评, 一次一评) and close every bad review (差评核实、整改、回访).

    Cases never import this app. A case's rateable services (受理、补正、办结) are made from its
    ``CaseEvent`` rows by a ``post_save`` receiver connected here (see ``signals.py`` for why a signal and
    how its failures are contained); the worker's sweep (``services.service_events_sync``) backs it up.
    """

    name = "yiwang.evaluations"
    verbose_name = "好差评"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from yiwang.cases.models import CaseEvent
        from yiwang.evaluations.signals import case_event_saved

        post_save.connect(case_event_saved, sender=CaseEvent, dispatch_uid="evaluations.case_event_saved")

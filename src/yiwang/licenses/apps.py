from django.apps import AppConfig


class LicensesConfig(AppConfig):
    """电子证照与电子印章: issue signed e-licences, verify them anywhere, reuse them instead of papers."""

    name = "yiwang.licenses"
    verbose_name = "电子证照"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiwang.cases.auto_rules import register_fact_provider
        from yiwang.cases.exemptions import register_material_source
        from yiwang.cases.results import register_result_issuer
        from yiwang.licenses import hooks

        register_result_issuer(hooks.issue_for_case)
        register_fact_provider("licence", hooks.licence_fact)
        register_material_source(hooks.material_from_licence)

from django.apps import AppConfig


class FindingsConfig(AppConfig):
    name = "findings"

    def ready(self) -> None:
        # Imported here: models are not loaded when the app registry imports this module.
        from analysis.providers import FindingsStore, findings_store_register
        from findings.selectors import findings_report_states
        from findings.services import findings_effective_for_score, findings_record_run

        findings_store_register(
            FindingsStore(
                record_run=findings_record_run,
                effective_for_score=findings_effective_for_score,
                report_states=findings_report_states,
            )
        )

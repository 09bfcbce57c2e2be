from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "history"
    verbose_name = "Git history"

    def ready(self) -> None:
        # Imported here: models are not loaded when the app registry imports this module.
        from analysis.providers import HistoryStore, history_store_register
        from history.services import history_identity, history_known, history_record_run, history_window

        history_store_register(
            HistoryStore(window=history_window, known=history_known, identity=history_identity, record_run=history_record_run)
        )

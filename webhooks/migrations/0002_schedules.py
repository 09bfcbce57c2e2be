from django.db import migrations

SCHEDULES = [
    # (func, name, schedule_type, minutes)
    ("webhooks.tasks.deliver_due", "webhooks: deliver due retries", "I", 1),
    ("webhooks.tasks.cleanup_deliveries", "webhooks: delivery history retention", "D", None),
]


def create_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for func, name, schedule_type, minutes in SCHEDULES:
        Schedule.objects.get_or_create(
            func=func, defaults={"name": name, "schedule_type": schedule_type, "minutes": minutes, "repeats": -1}
        )


def delete_schedules(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedules, delete_schedules)]

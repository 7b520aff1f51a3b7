from django.db import migrations


def create_lsf_skill(apps, schema_editor):
    Skill = apps.get_model("advisors", "Skill")
    Skill.objects.get_or_create(code="lsf", defaults={"name": "Langue des signes française (LSF)"})


class Migration(migrations.Migration):
    dependencies = [("advisors", "0001_initial")]

    operations = [migrations.RunPython(create_lsf_skill, migrations.RunPython.noop)]

"""Template tags of the e-ateliers for the advisor's home page."""

from django import template

from ateliers import selectors

register = template.Library()


@register.inclusion_tag("ateliers/_caseload_activity.html")
def ateliers_caseload_activity(advisor):
    return {"rows": list(selectors.caseload_activity(advisor))}


@register.inclusion_tag("ateliers/_seeker_file.html")
def ateliers_seeker_progress(seeker):
    """The e-ateliers block of a seeker's file (for the advisor's seeker file page):
    `{% load ateliers_tags %}{% ateliers_seeker_progress seeker %}`. The caller has checked
    that the reader follows the seeker."""
    return {"seeker": seeker, "progress": selectors.seeker_progress(seeker)}

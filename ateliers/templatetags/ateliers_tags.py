"""Template tags of the e-ateliers for the advisor's home page."""

from django import template

from ateliers import selectors

register = template.Library()


@register.inclusion_tag("ateliers/_caseload_activity.html")
def ateliers_caseload_activity(advisor):
    return {"rows": list(selectors.caseload_activity(advisor))}

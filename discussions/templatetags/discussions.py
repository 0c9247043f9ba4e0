from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..mentions import MENTION_RE

register = template.Library()


@register.filter
def comment_html(comment) -> SafeString:
    """Return the comment's text escaped, its line breaks kept and the people it notified marked."""
    names = {u.get_username().casefold() for u in comment.mentioned.all()}

    def mark(match) -> str:
        if match.group(1).casefold() in names:
            return f'<span class="wm-mention">{match.group(0)}</span>'
        return match.group(0)

    text = MENTION_RE.sub(mark, escape(comment.body))
    return mark_safe(text.replace("\r\n", "\n").replace("\n", "<br>"))


@register.simple_tag
def thread_to_open(request) -> str:
    """Return the URL of the thread the page was opened for (``?thread=<id>``, from a notification), or ""."""
    value = request.GET.get("thread", "") if request is not None else ""
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return reverse("discussions:thread_detail", args=[int(value)])
    return ""

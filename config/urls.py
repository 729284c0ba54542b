from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from api.views.feeds import feed
from config import health
from core.forms import AdminLoginForm

admin.site.site_header = "Protocol Desk"
admin.site.site_title = "Protocol Desk"
admin.site.index_title = _("Back office")
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    # Subscription feeds: the token is the only key (calendar apps cannot log in).
    re_path(r"^feeds/(?P<token>[A-Za-z0-9_-]{20,100})\.ics$", feed, name="feed"),
    path("staff/", include("desk.urls")),
    # The RSVP pages' language switch (Django's set_language: a cookie, then back).
    path("i18n/", include("django.conf.urls.i18n")),
    path("", RedirectView.as_view(pattern_name="staff:calendar"), name="home"),
    path("", include("visitors.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"

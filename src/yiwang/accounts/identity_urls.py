"""Pages of registration, enterprises, 经办人, 帮办代办 and the 办事身份 switch (mounted under /accounts/)."""

from django.urls import path

from yiwang.accounts import identity_views as views

app_name = "identity"
urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/details/", views.register_details, name="register_details"),
    path("acting/", views.acting_switch, name="acting_switch"),
    path("enterprises/", views.enterprises, name="enterprises"),
    path("enterprises/<int:enterprise_id>/", views.enterprise, name="enterprise"),
    path(
        "enterprises/<int:enterprise_id>/agents/<int:grant_id>/revoke/",
        views.enterprise_agent_revoke,
        name="enterprise_agent_revoke",
    ),
    path("authorisations/", views.authorisations, name="authorisations"),
    path("authorisations/<int:authorisation_id>/revoke/", views.authorisation_revoke, name="authorisation_revoke"),
    path("authorisations/window/<int:person_id>/", views.authorisation_record, name="authorisation_record"),
]

from django.urls import path

from yiwang.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("2fa/", views.otp_verify, name="otp_verify"),
    path("2fa/enrol/", views.otp_enrol, name="otp_enrol"),
    path("2fa/recovery-codes/", views.recovery_codes_new, name="recovery_codes_new"),
    path("me/", views.me, name="me"),
    path("history/", views.history, name="history"),
    path("history/<int:user_id>/", views.history, name="history_of"),
]

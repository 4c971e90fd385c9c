"""Log-in and log-out pages."""

from __future__ import annotations

from django.contrib.auth import views as auth_views

from yiwang.accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass

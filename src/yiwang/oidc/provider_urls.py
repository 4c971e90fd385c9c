"""The OpenID Connect endpoints, mounted at ``/o/`` (the issuer is ``<site>/o``).

Only what the platform offers: authorization code with PKCE, refresh, revocation, introspection, userinfo,
discovery, JWKS and RP-initiated logout. DOT's application-management pages, dynamic client registration
and device flow are not mounted — clients are registered by the platform admin in the workbench.
"""

from django.urls import path
from oauth2_provider import views as dot

from yiwang.oidc import views

app_name = "oauth2_provider"  # DOT reverses its own endpoints under this namespace
urlpatterns = [
    path("authorize/", views.ConsentView.as_view(), name="authorize"),
    path("token/", dot.TokenView.as_view(), name="token"),
    path("revoke_token/", dot.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", views.IntrospectView.as_view(), name="introspect"),
    path("userinfo/", dot.UserInfoView.as_view(), name="user-info"),
    path("logout/", views.LogoutView.as_view(), name="rp-initiated-logout"),
    path(".well-known/openid-configuration", views.DiscoveryView.as_view(), name="oidc-connect-discovery-info"),
    path(".well-known/jwks.json", dot.JwksInfoView.as_view(), name="jwks-info"),
    path(".well-known/oauth-authorization-server", dot.OAuthServerMetadataView.as_view(), name="oauth-server-metadata"),
]

# At the site root, for clients that look there first. Both documents name the issuer <site>/o.
root_urlpatterns = [
    path(".well-known/openid-configuration", views.DiscoveryView.as_view()),
    path(".well-known/oauth-authorization-server/o", dot.OAuthServerMetadataView.as_view()),
]

"""Pages of 好差评 for citizens (我的评价) and the hall tablet (一次一评)."""

from django.urls import path

from yiwang.evaluations import views_portal as views

app_name = "evaluations_portal"
urlpatterns = [
    path("my/evaluations/", views.my_evaluations, name="my_list"),
    path("my/evaluations/<int:event_id>/", views.rate, name="rate"),
    path("my/evaluations/orders/<int:order_id>/revisit/", views.revisit, name="revisit"),
    path("evaluations/tablet/", views.tablet, name="tablet"),
    path("evaluations/tablet/pending/", views.tablet_pending, name="tablet_pending"),
    path("evaluations/tablet/rate/", views.tablet_rate, name="tablet_rate"),
    path("evaluations/tablet/decline/", views.tablet_decline, name="tablet_decline"),
    path("evaluations/tablet/pair/", views.tablet_pair, name="tablet_pair"),
]

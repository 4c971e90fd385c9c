"""Public catalog pages, mounted at ``/guide/``: 办事指南 and 派生清单."""

from django.urls import path, register_converter

from yiwang.catalog import views


class ItemCodeConverter:
    """实施编码 (31 characters) or 业务办理项编码 (33): digits and upper-case letters (STANDARDS §1.1)."""

    regex = "[0-9A-Z]{31}(?:[0-9]{2})?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ItemCodeConverter, "catalog_item_code")

app_name = "catalog"
urlpatterns = [
    path("", views.guide_list_view, name="guide_list"),
    path("departments/", views.guide_departments, name="guide_departments"),
    path("themes/", views.guide_themes, name="guide_themes"),
    path("lists/", views.lists_index, name="lists_index"),
    path("lists/<slug:key>/", views.list_detail, name="list_detail"),
    path("lists/<slug:key>.csv", views.list_export, {"fmt": "csv"}, name="list_csv"),
    path("lists/<slug:key>.xlsx", views.list_export, {"fmt": "xlsx"}, name="list_xlsx"),
    path("<catalog_item_code:code>/", views.guide_detail, name="guide_detail"),
    path("<catalog_item_code:code>/v<int:number>/", views.guide_detail, name="guide_version"),
]

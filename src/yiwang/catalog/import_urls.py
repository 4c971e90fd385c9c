"""URLs of the 事项 workbook import; included at ``/workbench/catalog/import/`` (namespace ``catalog_import``)."""

from django.urls import path

from yiwang.catalog import import_views as views

app_name = "catalog_import"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("template.xlsx", views.template_download, name="template"),
    path("export.xlsx", views.export_workbook, name="export"),
    path("jobs/<uuid:import_id>/", views.job, name="job"),
    path("jobs/<uuid:import_id>/status/", views.job_status, name="job_status"),
    path("versions/<int:version_id>.json", views.version_export_json, name="version_json"),
]

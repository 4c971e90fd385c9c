"""Mounting of the API and its schema."""

from __future__ import annotations

from ninja import NinjaAPI, Swagger

from yiwang.accounts.api import router as accounts_router
from yiwang.api import problems
from yiwang.api.auth import AUTH
from yiwang.audit.api import router as audit_router
from yiwang.cases.api import router as cases_router
from yiwang.catalog.api import router as catalog_router
from yiwang.evaluations.api import router as evaluations_router
from yiwang.files.api import router as files_router
from yiwang.hotline.api import router as hotline_router
from yiwang.licenses.api import router as licenses_router
from yiwang.regions.api import router as regions_router

api = NinjaAPI(
    title="一网 Yiwang API",
    version="1",
    description="一体化政务服务平台接口。错误以 application/problem+json 返回，含稳定的 code 与字段路径。",
    urls_namespace="api",
    auth=AUTH,
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
)
problems.install(api)
api.add_router("/regions", regions_router)
api.add_router("/accounts", accounts_router)
api.add_router("/audit", audit_router)
api.add_router("/catalog", catalog_router)
api.add_router("/files", files_router)
api.add_router("/cases", cases_router)
api.add_router("/licenses", licenses_router)
api.add_router("/evaluations", evaluations_router)
api.add_router("/hotline", hotline_router)

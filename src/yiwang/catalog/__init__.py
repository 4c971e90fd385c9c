"""事项管理: the service-item catalog (基本目录, 实施清单), its review-and-publish workflow, service guides."""

"""行政区划, organisations (departments), venues and windows."""

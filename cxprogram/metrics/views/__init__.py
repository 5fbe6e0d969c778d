"""Pages of the metrics feature: the catalog, the data-entry grid and the periods.

Each page module adds its routes to the blueprint of `blueprint.py`; importing them here
registers those routes, and `bp` is what the application registers.
"""

from __future__ import annotations

from cxprogram.metrics.views import catalog as catalog
from cxprogram.metrics.views import entry as entry
from cxprogram.metrics.views import periods as periods
from cxprogram.metrics.views.blueprint import bp as bp

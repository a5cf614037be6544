"""Data-product tests start from a store holding three real transients."""

from tests.support import stores

store = stores.photometry_store

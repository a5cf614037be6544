"""Processing tests that go on to store or plot their result start from three real transients."""

from tests.support import stores

store = stores.photometry_store

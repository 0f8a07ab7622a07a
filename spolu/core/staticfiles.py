"""The production static-files storage: WhiteNoise's, without rewriting JavaScript source maps.

A registry package (XStatic-Leaflet-MarkerCluster) ships a minified file that names a source
map it does not include; rewriting that reference stops `collectstatic`. Source maps matter
only to developer tools, so JavaScript files are left as they are; CSS is still rewritten.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    patterns = tuple(
        (extension, rules)
        for extension, rules in CompressedManifestStaticFilesStorage.patterns
        if extension != "*.js"
    )

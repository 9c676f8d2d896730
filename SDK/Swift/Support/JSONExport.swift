// Plugins write `JSON` as part of the kit; the type lives in OGJSON so the
// host reads its manifests with the same parser (one JSON rule, not two).
@_exported import OGJSON

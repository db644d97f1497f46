// safe-annotations (policies.md §18): safe-labels' checks applied to the annotations of any
// object (safe-labels/safe_metadata.h), with its own messages ("not allowed" for denied keys).
// A payload that does not decode is rejected with code 400 and the decoder's error.
#include "../safe-labels/safe_metadata.h"

KUBEWARDEN_SAFE_METADATA_POLICY(safe_metadata::kAnnotations)

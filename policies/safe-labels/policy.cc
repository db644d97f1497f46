// safe-labels (policies.md §17): a deny list, a mandatory list and regular-expression
// constraints for the labels of any object. The implementation, shared with safe-annotations,
// is in safe_metadata.h; a payload that is not JSON is rejected with code 400.
#include "safe_metadata.h"

KUBEWARDEN_SAFE_METADATA_POLICY(safe_metadata::kLabels)

// kyverno-dsl: Kyverno JMESPath functions implemented outside kyverno_functions.cc (which
// holds the table): the time_* family, random, image_normalize and x509_decode.
#pragma once

#include "jmespath_functions.h"

namespace kyverno::jmespath {

Value TimeSince(Call& c);
Value TimeNow(Call& c);
Value TimeNowUtc(Call& c);
Value TimeToCron(Call& c);
Value TimeAdd(Call& c);
Value TimeParse(Call& c);
Value TimeUtc(Call& c);
Value TimeDiff(Call& c);
Value TimeBefore(Call& c);
Value TimeAfter(Call& c);
Value TimeBetween(Call& c);
Value TimeTruncate(Call& c);
Value Random(Call& c);
Value ImageNormalize(Call& c);
Value X509Decode(Call& c);  // x509_decode.cc

}  // namespace kyverno::jmespath

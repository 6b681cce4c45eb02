// placeholder until the module lands.
#include "stepformer/err.h"
typedef int sf_placeholder_ops;

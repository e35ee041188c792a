// Debian's libopenblas-dev: pkg-config adds the include path of the selected variant.
#include <cblas.h>

// The Python test prelude (see python_test_support.hpp).
#include "tests/python/python_test_support.hpp"

namespace spoa::test {

const char* const prelude = R"PY(
import spoa

def raises(exc, fn, *args):
    try:
        fn(*args)
    except exc as e:
        return str(e)
    raise AssertionError('%s%r did not raise %s' % (fn.__name__, args, exc.__name__))
)PY";

}  // namespace spoa::test

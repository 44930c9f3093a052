// PHP exceptions as text (see php_errors.hpp).
#include "agent/engines/php/php_errors.hpp"

#include "agent/engines/php/php_api.hpp"

namespace spoa::php {

namespace {

/// A declared property of an exception (message, file, line), read without calling user code.
zval* property(zend_object* ex, zend_string* name, zval* scratch) {
  return zend_read_property_ex(ex->ce, ex, name, /*silent=*/true, scratch);
}

}  // namespace

PhpException take_exception() {
  PhpException out;
  zend_object* ex = EG(exception);
  if (ex == nullptr) return out;
  out.present = true;
  GC_ADDREF(ex);
  zend_clear_exception();
  if (zend_is_unwind_exit(ex) || zend_is_graceful_exit(ex)) {
    out.unwind_exit = true;
    OBJ_RELEASE(ex);
    return out;
  }
  zval scratch;
  out.summary = std::string(view(ex->ce->name));
  if (zval* message = property(ex, ZSTR_KNOWN(ZEND_STR_MESSAGE), &scratch); Z_TYPE_P(message) == IS_STRING) {
    out.summary += ": " + std::string(view(Z_STR_P(message)));
  }
  if (zval* file = property(ex, ZSTR_KNOWN(ZEND_STR_FILE), &scratch); Z_TYPE_P(file) == IS_STRING) {
    out.file = std::string(view(Z_STR_P(file)));
  }
  if (zval* line = property(ex, ZSTR_KNOWN(ZEND_STR_LINE), &scratch); Z_TYPE_P(line) == IS_LONG) {
    out.line = static_cast<std::uint32_t>(Z_LVAL_P(line));
  }
  // __toString() of Exception and Error: message, location, trace, and the chain of previous exceptions.
  zval rendered;
  ZVAL_UNDEF(&rendered);
  if (ex->ce->__tostring != nullptr) zend_call_known_instance_method_with_0_params(ex->ce->__tostring, ex, &rendered);
  if (EG(exception) != nullptr) zend_clear_exception();  // a user __toString() that throws
  out.text = Z_TYPE(rendered) == IS_STRING ? std::string(view(Z_STR(rendered))) : out.summary;
  zval_ptr_dtor(&rendered);
  OBJ_RELEASE(ex);
  return out;
}

}  // namespace spoa::php

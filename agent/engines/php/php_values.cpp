// SPOP values to PHP values (see php_values.hpp).
#include "agent/engines/php/php_values.hpp"

namespace spoa::php {

namespace {

void string_value(std::string_view bytes, zval* out) {
  if (bytes.empty()) {
    ZVAL_EMPTY_STRING(out);
  } else {
    ZVAL_STRINGL_FAST(out, bytes.data(), bytes.size());
  }
}

/// spop::to_string gives the one canonical text of every engine and tool; its std::string is gone before
/// PHP allocates (a bailout must not skip a destructor).
template <typename Address>
void address_value(const Address& address, zval* out) {
  char text[48];
  std::size_t length = 0;
  try {
    const std::string rendered = spop::to_string(address);
    length = std::min(rendered.size(), sizeof text);
    std::memcpy(text, rendered.data(), length);
  } catch (...) {
    length = 0;
  }
  string_value({text, length}, out);
}

}  // namespace

void to_php(const spop::Value& value, zval* out) {
  switch (value.type()) {
    case spop::DataType::null:
      ZVAL_NULL(out);
      return;
    case spop::DataType::boolean:
      ZVAL_BOOL(out, value.as_bool());
      return;
    case spop::DataType::int32:
    case spop::DataType::uint32:
    case spop::DataType::int64:
    case spop::DataType::uint64:
      static_assert(sizeof(zend_long) == sizeof(std::int64_t), "PHP ints must be 64-bit");
      ZVAL_LONG(out, static_cast<zend_long>(value.as_int64()));
      return;
    case spop::DataType::ipv4:
      address_value(value.as_ipv4(), out);
      return;
    case spop::DataType::ipv6:
      address_value(value.as_ipv6(), out);
      return;
    case spop::DataType::string:
    case spop::DataType::binary:
      string_value(value.as_bytes(), out);
      return;
  }
  ZVAL_NULL(out);  // a decoder never produces another type
}

void make_args(std::span<const spop::Argument> args, zval* out) {
  array_init_size(out, static_cast<std::uint32_t>(args.size()));
  for (const spop::Argument& arg : args) {
    zval entry;
    array_init_size(&entry, 2);
    zval name;
    string_value(arg.name, &name);
    zend_hash_add_new(Z_ARRVAL(entry), ZSTR_KNOWN(ZEND_STR_NAME), &name);
    zval value;
    to_php(arg.value, &value);
    zend_hash_add_new(Z_ARRVAL(entry), ZSTR_KNOWN(ZEND_STR_VALUE), &value);
    zend_hash_next_index_insert_new(Z_ARRVAL_P(out), &entry);
  }
}

}  // namespace spoa::php

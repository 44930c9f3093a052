#!/usr/bin/env bash
# Creates the certificates the TLS tests use, with Debian's openssl CLI, in DIR (created if missing).
# Used by the C++ tests (tests/support/test_certs.cpp) and by haproxy-it (harness.py), so that every
# test talks about the same files. EC P-256 keys: generating the whole set takes well under a second.
#
#   ca.pem ca.key                 "spop-test CA": signs everything below except other-*
#   server.pem server.key         CN=localhost, SAN localhost, 127.0.0.1, ::1 (serverAuth), signed by ca
#   server2.pem server2.key       the same name with a new key and serial: a renewed certificate
#   client.pem client.key         CN=spop-test client (clientAuth), signed by ca
#   client-combined.pem           client.pem followed by client.key (HAProxy's `crt` takes one file)
#   other-ca.pem other-ca.key     "spop-test other CA", unrelated to ca
#   other-client.pem other-client.key  a client certificate signed by other-ca (the wrong CA)
#   expired.pem expired.key       CN=localhost signed by ca, valid only in January 2020
#   inter.pem inter.key           an intermediate CA signed by ca
#   chain.pem chain.key           CN=localhost signed by inter; chain.pem holds the leaf then inter.pem
#
# Usage: make-test-certs.sh DIR
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
mkdir -p "$dir"
cd "$dir"

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
serial() { echo "0x$(openssl rand -hex 8)"; }

# A self-signed CA: make_ca NAME "SUBJECT"
make_ca() {
  newkey "$1.key"
  openssl req -x509 -new -key "$1.key" -subj "$2" -days 3650 -sha256 -set_serial "$(serial)" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$1.pem" 2>/dev/null
}

# A certificate signed by a CA: sign NAME "SUBJECT" CA EXTENSIONS
sign() {
  newkey "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
  printf '%b\n' "$4" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -set_serial "$(serial)" -days 825 -sha256 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

server_ext='basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1'
client_ext='basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth'
inter_ext='basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign'

make_ca ca "/O=spop-toolkit tests/CN=spop-test CA"
make_ca other-ca "/O=spop-toolkit tests/CN=spop-test other CA"
sign server "/CN=localhost" ca "$server_ext"
sign server2 "/CN=localhost" ca "$server_ext"
sign client "/CN=spop-test client" ca "$client_ext"
sign other-client "/CN=spop-test other client" other-ca "$client_ext"
sign inter "/O=spop-toolkit tests/CN=spop-test intermediate CA" ca "$inter_ext"
sign chain-leaf "/CN=localhost" inter "$server_ext"
cat chain-leaf.pem inter.pem >chain.pem
mv chain-leaf.key chain.key
rm -f chain-leaf.pem
cat client.pem client.key >client-combined.pem

# An expired certificate needs a start date in the past, which only `openssl ca` sets (OpenSSL 3.0).
newkey expired.key
openssl req -new -key expired.key -subj "/CN=localhost" -out expired.csr 2>/dev/null
mkdir -p ca-db
: >ca-db/index.txt
openssl rand -hex 8 >ca-db/serial
cat >ca-db/ca.cnf <<EOF
[ca]
default_ca = test_ca
[test_ca]
database = ca-db/index.txt
new_certs_dir = ca-db
serial = ca-db/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
x509_extensions = server
[any]
commonName = supplied
[server]
basicConstraints = critical,CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
EOF
openssl ca -batch -notext -config ca-db/ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
  -startdate 20200101000000Z -enddate 20200131000000Z 2>/dev/null
rm -rf ca-db expired.csr
chmod 600 ./*.key

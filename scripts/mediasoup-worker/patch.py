#!/usr/bin/env python3
"""Adapts the mediasoup worker sources to Debian's libraries.

Every edit names the exact text it replaces and how often it must occur, so a
mediasoup upgrade that moves any of it stops the build instead of silently
building something else.
"""
import hashlib
import pathlib
import shutil
import sys

worker = pathlib.Path(sys.argv[1])
here = pathlib.Path(__file__).resolve().parent


def edit(rel, old, new, count=1):
    path = worker / rel
    text = path.read_text()
    found = text.count(old)
    if found != count:
        sys.exit(f"patch: {rel}: expected {count} x {old!r}, found {found}")
    path.write_text(text.replace(old, new))


def replace_file(rel, sha256, replacement):
    path = worker / rel
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        sys.exit(f"patch: {rel}: upstream changed (sha256 {digest}); re-port {replacement}")
    shutil.copyfile(here / replacement, path)


# --- meson: system libraries instead of downloaded subprojects -------------------
meson = "meson.build"
edit(meson, """libuv_proj = subproject(
  'libuv',
  default_options: [
    'warning_level=0',
    'build_tests=false',
    'build_benchmarks=false',
  ],
)

openssl_proj = subproject(
  'openssl',
  default_options: [
    'warning_level=0',
  ],
)

libsrtp3_proj = subproject(
  'libsrtp3',
  default_options: [
    'warning_level=0',
    'crypto-library=openssl',
    'crypto-library-kdf=disabled',
    'tests=disabled',
  ],
)

ankerl_unordered_dense_dep = dependency('unordered_dense')

flatbuffers_proj = subproject(
  'flatbuffers',
  default_options: [
    'warning_level=0',
  ],
)
""", """libuv_dep = dependency('libuv')
openssl_dep = dependency('openssl', version: '>=3.0')
# OpenSSL-backed libsrtp2, built statically by scripts/mediasoup-worker/build.sh:
# Debian's shared libsrtp2 does its crypto through NSS, at ~2.5x the cost per packet.
libsrtp_dep = dependency('libsrtp2', version: '>=2.5', static: true)
ankerl_unordered_dense_dep = declare_dependency(include_directories: include_directories('compat'))
flatbuffers_dep = dependency('flatbuffers')
""")
edit(meson, """dependencies = [
  libuv_proj.get_variable('libuv_dep'),
  openssl_proj.get_variable('openssl_dep'),
  libsrtp3_proj.get_variable('libsrtp3_dep'),
  ankerl_unordered_dense_dep,
  flatbuffers_proj.get_variable('flatbuffers_dep'),
  flatbuffers_generator_dep,
]

link_whole = [
  libuv_proj.get_variable('libuv'),
  openssl_proj.get_variable('libcrypto_lib'),
  openssl_proj.get_variable('libssl_lib'),
  libsrtp3_proj.get_variable('libsrtp3'),
  flatbuffers_proj.get_variable('flatbuffers_lib'),
]
""", """dependencies = [
  libuv_dep,
  openssl_dep,
  libsrtp_dep,
  ankerl_unordered_dense_dep,
  flatbuffers_dep,
  flatbuffers_generator_dep,
]

link_whole = []
""")
edit(meson, """  abseil_cpp_proj = subproject(
    'abseil-cpp',
    default_options: [
      'warning_level=0',
      'cpp_std=c++17',
    ],
  )
""", """  absl_container_dep = dependency(['absl_flat_hash_map'])
  absl_strings_dep = dependency('absl_strings')
  absl_types_dep = dependency('absl_optional')
""")
edit(meson, """    abseil_cpp_proj.get_variable('absl_container_dep'),
    libwebrtc_dep,
  ]
  link_whole += [
    abseil_cpp_proj.get_variable('absl_container_lib'),
    libwebrtc,
  ]
""", """    absl_container_dep,
    libwebrtc_dep,
  ]
  link_whole += [
    libwebrtc,
  ]
""")

webrtc = "deps/libwebrtc/meson.build"
edit(webrtc, """abseil_cpp_proj = subproject(
  'abseil-cpp',
  default_options: [
    'warning_level=0',
    'cpp_std=c++17',
  ],
)
""", "")
edit(webrtc, "    libuv_proj.get_variable('libuv_dep'),\n", "    libuv_dep,\n")
edit(webrtc, "    openssl_proj.get_variable('openssl_dep'),\n", "    openssl_dep,\n")
edit(webrtc, "    abseil_cpp_proj.get_variable('absl_strings_dep'),\n", "    absl_strings_dep,\n", 2)
edit(webrtc, "    abseil_cpp_proj.get_variable('absl_types_dep'),\n", "    absl_types_dep,\n", 2)
edit(webrtc, "    flatbuffers_proj.get_variable('flatbuffers_dep'),\n", "    flatbuffers_dep,\n")

# --- libsrtp3 fork -> libsrtp2 2.5 -------------------------------------------------
edit("include/DepLibSRTP.hpp", "#include <srtp.h>\n", "#include <srtp2/srtp.h>\n")
edit("include/RTC/SrtpSession.hpp", "#include <srtp.h>\n", "#include <srtp2/srtp.h>\n")
edit("include/RTC/SrtpSession.hpp", "srtp_stream_remove(this->session, htonl(ssrc));",
     "srtp_remove_stream(this->session, htonl(ssrc));")
edit("src/DepLibSRTP.cpp", """	{ srtp_err_status_pkt_idx_adv,   "packet index advanced, reset needed" },
	{ srtp_err_status_buffer_small,  "out buffer is too small" },
	{ srtp_err_status_cryptex_err,   "unsupported cryptex operation" }
""", """	{ srtp_err_status_pkt_idx_adv,   "packet index advanced, reset needed" }
""")
replace_file("src/RTC/SrtpSession.cpp",
             "009afb38091b95779b17ce60ff7615fe1a4a8d9a072cda8fd2995bc8d9e94113",
             "SrtpSession.cpp")

# --- DTLS with Debian's kTLS-enabled OpenSSL ------------------------------------------
# BIO_CB_RETURN is a flag: answering 1 to the post-operation ctrl query makes libssl
# believe kTLS send is on, skip its DTLS write buffer, and crash in the first handshake.
edit("src/RTC/DtlsTransport.cpp",
     "(operationType == BIO_CB_RETURN) ? static_cast<long>(ret) : 1;",
     "(operationType & BIO_CB_RETURN) ? static_cast<long>(ret) : 1;")

compat = worker / "compat" / "ankerl"
compat.mkdir(parents=True, exist_ok=True)
shutil.copyfile(here / "unordered_dense.h", compat / "unordered_dense.h")
shutil.rmtree(worker / "subprojects")
print("patch: worker sources adapted")

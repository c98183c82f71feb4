# The libndctl/libdaxctl addon. Build with: npm_config_nodedir=/usr npx node-gyp rebuild --nodedir=/usr
# C++ exceptions stay off (node-gyp's default -fno-exceptions); every error travels as a value and
# becomes a rejected Promise in the main thread.
{
  "targets": [
    {
      "target_name": "dax_native",
      "sources": [
        "src/native/addon.cc",
        "src/native/context.cc",
        "src/native/system_error.cc",
        "src/native/health.cc",
        "src/native/fsxattr.cc",
        "src/native/statx.cc",
        "src/native/fsmap.cc",
        "src/native/watch.cc",
        "src/native/recover.cc",
        "src/native/namespace.cc",
        "src/native/daxdev.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "DAX_NATIVE_LIBNDCTL_VERSION=<!(pkg-config --modversion libndctl)",
        "DAX_NATIVE_LIBDAXCTL_VERSION=<!(pkg-config --modversion libdaxctl)"
      ],
      "cflags": ["<!@(pkg-config --cflags libndctl libdaxctl)", "-Wall", "-Wextra"],
      "cflags_cc": ["-Wall", "-Wextra"],
      "libraries": ["<!@(pkg-config --libs libndctl libdaxctl)"]
    }
  ]
}

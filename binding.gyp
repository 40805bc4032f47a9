{
  "targets": [
    {
      "target_name": "torchnode",
      "sources": ["<!@(node scripts/libtorch.js --sources)"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/libtorch.js --include-dirs)"
      ],
      "defines": ["<!@(node scripts/libtorch.js --defines)"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["<!@(node scripts/libtorch.js --cflags)"],
      "libraries": ["<!@(node scripts/libtorch.js --libs)"]
    }
  ]
}

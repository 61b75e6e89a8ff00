"""Small real repositories, one per language, with the import edges a person reads off them by hand.

Each sample maps file -> text; EDGES lists (importer, imported file) for the imports that name a file of the
repository. Imports of the standard library or of packages from elsewhere are in the files too, and must
resolve to nothing.
"""

from __future__ import annotations

SAMPLES: dict[str, tuple[dict[str, str], set[tuple[str, str]]]] = {}

SAMPLES["python"] = ({
    "pkg/__init__.py": "from .core import run\n",
    "pkg/core.py": "import os\nfrom . import util\nfrom .sub.helpers import helper\n\n\ndef run():\n"
                   "    return helper() + util.x() + len(os.sep)\n",
    "pkg/util.py": "def x():\n    return 1\n",
    "pkg/sub/__init__.py": "VERSION = 1\n",
    "pkg/sub/helpers.py": "from pkg.util import x\nimport pkg.core\n\n\ndef helper():\n    return x()\n",
    "main.py": "import json\nimport pkg\nfrom pkg import core\n\nprint(json.dumps(core.run()))\n",
    "src/lib2/__init__.py": "",
    "src/lib2/a.py": "from lib2 import b\nfrom lib2.b import shout\n\n\ndef loud():\n    return shout()\n",
    "src/lib2/b.py": "def shout():\n    return 'HEY'\n",
    "tools/json.py": "import sys\n",  # a script folder on sys.path: "import json" above is the standard library's
}, {
    ("pkg/__init__.py", "pkg/core.py"), ("pkg/core.py", "pkg/util.py"), ("pkg/core.py", "pkg/sub/helpers.py"),
    ("pkg/sub/helpers.py", "pkg/util.py"), ("pkg/sub/helpers.py", "pkg/core.py"),
    ("main.py", "pkg/__init__.py"), ("main.py", "pkg/core.py"),
    ("src/lib2/a.py", "src/lib2/b.py"),
})

SAMPLES["typescript"] = ({
    "src/index.ts": 'import { a } from "./a";\nimport b from "./lib";\nimport type { T } from "./types.js";\n'
                    'export * from "./c";\nexport const all: T = a + b;\n',
    "src/a.ts": 'import React from "react";\nconst util = require("../util");\nexport const a = util.one;\n',
    "util.js": "module.exports = { one: 1 };\n",
    "src/lib/index.ts": "export default 2;\n",
    "src/types.ts": "export type T = number;\n",
    "src/c.tsx": "export const C = () => <div/>;\n",
    "web/app.jsx": 'import { a } from "@/a";\nconst page = import("./page.mjs");\nexport default a;\n',
    "web/page.mjs": "export const title = 'page';\n",
}, {
    ("src/index.ts", "src/a.ts"), ("src/index.ts", "src/lib/index.ts"), ("src/index.ts", "src/types.ts"),
    ("src/index.ts", "src/c.tsx"), ("src/a.ts", "util.js"), ("web/app.jsx", "src/a.ts"),
    ("web/app.jsx", "web/page.mjs"),
})

SAMPLES["go"] = ({
    "go.mod": "module example.com/shop\n\ngo 1.22\n",
    "cmd/shop/main.go": 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/shop/internal/cart"\n)\n\n'
                        "func main() {\n\tfmt.Println(cart.Total())\n}\n",
    "internal/cart/cart.go": 'package cart\n\nimport "example.com/shop/internal/money"\n\n'
                             "type Cart struct{ Items []money.Cents }\n",
    "internal/cart/total.go": "package cart\n\nfunc Total() int { return 0 }\n",
    "internal/cart/cart_test.go": 'package cart\n\nimport "testing"\n\nfunc TestTotal(t *testing.T) {}\n',
    "internal/money/money.go": "package money\n\ntype Cents int\n",
}, {
    ("cmd/shop/main.go", "internal/cart/cart.go"), ("cmd/shop/main.go", "internal/cart/total.go"),
    ("internal/cart/cart.go", "internal/money/money.go"),
})

SAMPLES["rust"] = ({
    "Cargo.toml": '[package]\nname = "shop"\nversion = "0.1.0"\n',
    "src/lib.rs": "mod parser;\npub mod net;\nuse crate::parser::parse;\nuse std::io;\n\n"
                  "pub fn run() -> usize { parse(\"x\") }\n",
    "src/parser.rs": "pub struct Token;\n\npub fn parse(s: &str) -> usize { s.len() }\n",
    "src/net/mod.rs": "mod http;\nuse super::parser::Token;\nuse self::http::get;\n\npub fn fetch() -> Token { get() }\n",
    "src/net/http.rs": "use crate::net;\nuse crate::parser::{self, Token};\n\npub fn get() -> Token { Token }\n",
}, {
    ("src/lib.rs", "src/parser.rs"), ("src/lib.rs", "src/net/mod.rs"), ("src/net/mod.rs", "src/net/http.rs"),
    ("src/net/mod.rs", "src/parser.rs"), ("src/net/http.rs", "src/net/mod.rs"), ("src/net/http.rs", "src/parser.rs"),
})

SAMPLES["java"] = ({
    "src/main/java/com/acme/App.java": "package com.acme;\n\nimport com.acme.util.Strings;\nimport com.acme.model.*;\n"
                                       "import static com.acme.util.Strings.trim;\nimport java.util.List;\n\n"
                                       "public class App { List<User> users; }\n",
    "src/main/java/com/acme/util/Strings.java": "package com.acme.util;\n\npublic class Strings {\n"
                                                "  public static String trim(String s) { return s.trim(); }\n}\n",
    "src/main/java/com/acme/model/User.java": "package com.acme.model;\n\npublic class User {}\n",
    "src/main/java/com/acme/model/Order.java": "package com.acme.model;\n\npublic class Order {}\n",
    "src/main/kotlin/com/acme/Main.kt": "package com.acme\n\nimport com.acme.util.helper\nimport com.acme.model.User\n"
                                        "import kotlinx.coroutines.launch\n\nfun main() { helper(User()) }\n",
    "src/main/kotlin/com/acme/util/Helpers.kt": "package com.acme.util\n\nfun helper(x: Any) = x.toString()\n",
    # a class's members imported with a wildcard; a Kotlin extension function, imported by its own name
    "src/main/java/com/acme/Cli.java": "package com.acme;\n\nimport static com.acme.util.Strings.*;\n\nclass Cli {}\n",
    "src/main/kotlin/com/acme/Shout.kt": "package com.acme\n\nimport com.acme.util.shout\n\n"
                                         "fun loud(s: String) = s.shout()\n",
    "src/main/kotlin/com/acme/util/Text.kt": "package com.acme.util\n\nfun String.shout(): String {\n"
                                             "    return uppercase() + \"!\"\n}\n",
}, {
    ("src/main/java/com/acme/App.java", "src/main/java/com/acme/util/Strings.java"),
    ("src/main/java/com/acme/App.java", "src/main/java/com/acme/model/User.java"),
    ("src/main/java/com/acme/App.java", "src/main/java/com/acme/model/Order.java"),
    ("src/main/kotlin/com/acme/Main.kt", "src/main/kotlin/com/acme/util/Helpers.kt"),
    ("src/main/kotlin/com/acme/Main.kt", "src/main/java/com/acme/model/User.java"),
    ("src/main/java/com/acme/Cli.java", "src/main/java/com/acme/util/Strings.java"),
    ("src/main/kotlin/com/acme/Shout.kt", "src/main/kotlin/com/acme/util/Text.kt"),
})

# bare imports by a tsconfig's paths and baseUrl: "extends" from a shared config at the root, paths from its
# baseUrl, JSON with comments and trailing commas as TypeScript reads it; another config's baseUrl its own
SAMPLES["tsconfig"] = ({
    "tsconfig.base.json": '{\n  // shared by the packages\n  "$schema": "https://json.schemastore.org/tsconfig",\n'
                          '  "compilerOptions": {\n    "baseUrl": ".",\n    "paths": {\n'
                          '      "@shop/*": ["packages/shop/src/*"],\n      "@config": ["config/index.ts"],\n'
                          '    },\n  },\n}\n',
    "packages/app/tsconfig.json": '{ "extends": "../../tsconfig.base.json", "compilerOptions": { "strict": true } }\n',
    "packages/app/src/main.ts": 'import { cart } from "@shop/cart";\nimport config from "@config";\n'
                                'import { debounce } from "lodash";\nexport const x = cart + config;\n',
    "packages/shop/src/cart.ts": "export const cart = 1;\n",
    "config/index.ts": "export default 2;\n",
    "web/tsconfig.json": '{"compilerOptions": {"baseUrl": "src"}}\n',
    "web/src/pages/home.ts": 'import { api } from "lib/api";\nexport const home = api;\n',
    "web/src/lib/api.ts": "export const api = 3;\n",
}, {
    ("packages/app/src/main.ts", "packages/shop/src/cart.ts"), ("packages/app/src/main.ts", "config/index.ts"),
    ("web/src/pages/home.ts", "web/src/lib/api.ts"),
})

# a module is a target's folder: by Package.swift (a target's path, the default Sources/<name>, a test target's
# Tests/<name>), else a folder of the module's name; an import names each of its files
SAMPLES["swift"] = ({
    "Package.swift": '// swift-tools-version:5.7\nimport PackageDescription\n\nlet package = Package(\n'
                     '    name: "Shop",\n'
                     '    dependencies: [.package(url: "https://github.com/apple/swift-log", from: "1.0.0")],\n'
                     '    targets: [\n'
                     '        .target(name: "Shop", dependencies: [.product(name: "Logging", package: "swift-log")],'
                     ' path: "Source"),\n'
                     '        .target(name: "ShopUI", dependencies: ["Shop"]),\n'
                     '        .testTarget(name: "ShopTests", dependencies: ["Shop", "ShopUI"]),\n'
                     '    ]\n)\n',
    "Source/Cart.swift": "import Foundation\nimport Logging\n\npublic struct Cart {\n    public let price: Price\n}\n",
    "Source/Money/Price.swift": "public struct Price {\n    public let cents: Int\n}\n",
    "Sources/ShopUI/CartView.swift": "import Shop\nimport SwiftUI\n\nstruct CartView {\n    let cart: Cart\n}\n",
    "Tests/ShopTests/CartTests.swift": "import XCTest\n@testable import Shop\nimport ShopUI\n\n"
                                       "final class CartTests: XCTestCase {}\n",
    "App/Widgets/Badge.swift": "public struct Badge {\n    public let text: String\n}\n",
    "App/Main/AppMain.swift": "import Widgets\n\nlet badge = Badge(text: \"hi\")\n",
}, {
    ("Sources/ShopUI/CartView.swift", "Source/Cart.swift"),
    ("Sources/ShopUI/CartView.swift", "Source/Money/Price.swift"),
    ("Tests/ShopTests/CartTests.swift", "Source/Cart.swift"),
    ("Tests/ShopTests/CartTests.swift", "Source/Money/Price.swift"),
    ("Tests/ShopTests/CartTests.swift", "Sources/ShopUI/CartView.swift"),
    ("App/Main/AppMain.swift", "App/Widgets/Badge.swift"),
})

SAMPLES["c"] = ({
    "src/main.c": '#include <stdio.h>\n#include "util.h"\n#include "net/socket.h"\n\n'
                  "int main(void) { return twice(open_socket()); }\n",
    "src/util.h": "int twice(int x);\n",
    "src/util.c": '#include "util.h"\n\nint twice(int x) { return 2 * x; }\n',
    "include/net/socket.h": '#include "../../src/util.h"\nint open_socket(void);\n',
    "lib/socket.cpp": '#include "net/socket.h"\n\nint open_socket(void) { return 3; }\n',
}, {
    ("src/main.c", "src/util.h"), ("src/main.c", "include/net/socket.h"), ("src/util.c", "src/util.h"),
    ("include/net/socket.h", "src/util.h"), ("lib/socket.cpp", "include/net/socket.h"),
})

SAMPLES["others"] = ({
    "lib/shop.rb": 'require "json"\nrequire_relative "shop/cart"\n\nmodule Shop; end\n',
    "lib/shop/cart.rb": 'require "shop/money"\n\nclass Cart; end\n',
    "lib/shop/money.rb": "class Money; end\n",
    "app/Models/User.php": "<?php\nnamespace App\\Models;\n\nuse App\\Support\\{Str, Arr};\n\nclass User {}\n",
    "app/Support/Str.php": "<?php\nnamespace App\\Support;\n\nclass Str {}\n",
    "app/Support/Arr.php": "<?php\nnamespace App\\Support;\nrequire_once __DIR__ . '/Str.php';\n\nclass Arr {}\n",
    "Shop/Cart.cs": "using System;\nusing Shop.Money;\n\nnamespace Shop.Carts { class Cart {} }\n",
    "Shop/Price.cs": "namespace Shop.Money;\n\nclass Price {}\n",
    "scripts/build.sh": 'source ./common.sh\n. "$DIR/env.sh"\necho done\n',
    "scripts/common.sh": "say() { echo hi; }\n",
    "scripts/env.sh": "export X=1\n",
    "lua/app/init.lua": 'local util = require("app.util")\nreturn util\n',
    "lua/app/util.lua": "return {}\n",
    "modules/core/src/main/scala/shop/Main.scala": "package shop\n\nimport shop.model.{Item, Order}\n"
                                                  "import scala.util.Try\n\nobject Main\n",
    "modules/core/src/main/scala/shop/model/Item.scala": "package shop.model\n\ncase class Item(n: Int)\n",
    "modules/core/src/main/scala/shop/model/Models.scala": "package shop.model\n\ncase class Order(n: Int)\n",
}, {
    ("lib/shop.rb", "lib/shop/cart.rb"), ("lib/shop/cart.rb", "lib/shop/money.rb"),
    ("app/Models/User.php", "app/Support/Str.php"), ("app/Models/User.php", "app/Support/Arr.php"),
    ("app/Support/Arr.php", "app/Support/Str.php"), ("Shop/Cart.cs", "Shop/Price.cs"),
    ("scripts/build.sh", "scripts/common.sh"), ("scripts/build.sh", "scripts/env.sh"),
    ("lua/app/init.lua", "lua/app/util.lua"),
    ("modules/core/src/main/scala/shop/Main.scala", "modules/core/src/main/scala/shop/model/Item.scala"),
    ("modules/core/src/main/scala/shop/Main.scala", "modules/core/src/main/scala/shop/model/Models.scala"),
})

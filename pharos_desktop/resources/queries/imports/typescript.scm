; inherits: ecma
; TypeScript and TSX: "import x = require('./x')" on top of imports/ecma.scm.

(import_require_clause source: (string (string_fragment) @import.module))

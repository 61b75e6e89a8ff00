; Pharos import query for Kotlin. Capture names: imports/python.scm. "import a.b.*" has an unnamed "*".

(import (qualified_identifier) @import.module "*" @import.wildcard)
(import (qualified_identifier) @import.module)

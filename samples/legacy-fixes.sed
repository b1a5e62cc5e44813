# The fixes a person made to errors.csv, the error report of
# `bulk-signup run samples/legacy-export.csv --mapping samples/legacy-mapping.toml`
# (README, "Recipes": migrating a legacy export), as a sed script so the recipe
# can be replayed: sed -f samples/legacy-fixes.sed errors.csv > errors-fixed.csv
# Each fix finds its row by the first column, bulk-signup:row.

# An error report never holds passwords: add the Pass column back.
1s/$/,Pass/
# Row 6, InvalidPhoneNumber: "12" is no phone number, and the real one is not
# known: leave it empty (phone_number is optional in the pool).
/^6,/s/,Raman,12,/,Raman,,/
/^6,/s/$/,Mango7Chutney/
# Row 11, InvalidDate: 02/30/1985 was typed from a paper form that says 02/28.
/^11,/s|,02/30/1985,|,02/28/1985,|
/^11,/s/$/,Lantern3Moon/
# Row 17, InvalidBoolean: newsletter "maybe" means not agreed yet, so no.
/^17,/s/,maybe,/,N,/
/^17,/s/$/,Harbor8Light/
# Row 23, PasswordPolicy: the 7-character password was set by staff; she got a
# new one at the counter.
/^23,/s/$/,Counter-Vogel93/
# Row 29, InvalidEmail: the address lost its @.
/^29,/s/pat\.smith\.example\.com/pat.smith@example.com/g
/^29,/s/$/,Thistle4Moor/
# Row 35, DuplicateUsername: the same Maria López as row 2, exported twice.
/^35,/d

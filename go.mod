module vaultdrill

go 1.26.8

package topology

import "testing"

func TestDefaultAndSigners(t *testing.T) {
	d := Default()
	if len(d.LedgerIDs()) != 5 || len(d.InRegion(Primary)) != 2 || len(d.InRegion(DR)) != 1 {
		t.Fatalf("default topology: %+v", d)
	}
	s := d.AddSigners("cold", []int{2, 2, 1})
	if len(d.Nodes) != 5 {
		t.Fatal("AddSigners changed its receiver")
	}
	signers := s.ByRole(RoleSigner)
	if len(signers) != 5 || signers[0].ID != "signer-cold-1" || signers[4].Region != DR {
		t.Fatalf("signers: %+v", signers)
	}
	// No region holds 3 of the cold 3-of-5 committee.
	for _, r := range s.Regions {
		n := 0
		for _, x := range signers {
			if x.Region == r {
				n++
			}
		}
		if n >= 3 {
			t.Fatalf("region %s holds %d cold signers", r, n)
		}
	}
	if s.RegionOf("signer-cold-3") != Secondary || s.RegionOf("nobody") != "" {
		t.Fatal("RegionOf")
	}
}

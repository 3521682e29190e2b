package main

func main() {
	signingKey := "Jv5Xb8Nq2Wm7Kz4Rt9Ly3Ph6"
	_ = signingKey
}

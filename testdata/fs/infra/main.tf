resource "aws_db_instance" "main" {
  username = "admin"
  password = "Ns8-Kq2zVw7xLm"
  tags     = { owner = "platform" }
}
variable "token" {
  default = var.upstream_token
}

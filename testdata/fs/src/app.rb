Rails.application.configure do
  config.mailer = { :password => "Rf5tG8yHu2jK", :user => "mailer" }
end
